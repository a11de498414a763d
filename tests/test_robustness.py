"""Any text, any unicode, any length: understanding and rendering never raise."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.engine import INTENTS

NAMES = ["signal", "Signal", "simplex", "briar", "element", "session", "molly", "!info", "/help", "!compare", "vs", "geen", "zonder", "telefoonnummer", "tor"]
fragments = st.one_of(st.text(), st.sampled_from(NAMES), st.text(alphabet="\u200b\u202e\u0430\u0435<>&\"' !/?", max_size=20))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(fragments, max_size=12).map(" ".join), st.sampled_from(["nl", "en", "xx"]), st.sampled_from(["!", "?", "bot:"]))
def test_answer_never_raises(engine, message, lang, prefix):
    answer = engine.answer(message, lang, prefix)
    assert answer.intent in INTENTS
    assert answer.lang in ("nl", "en")
    assert 0.0 <= answer.confidence <= 1.0
    assert "<script" not in answer.html.lower()


def test_huge_and_hostile_messages(engine):
    for message in [
        "signal " * 5000,
        "x" * 65536,
        "!compare " + "signal briar " * 300,
        "\u202esignal\u202c",
        "s\u200bi\u200bg\u200bn\u200ba\u200bl",
        "ѕіgnаl",  # Cyrillic homoglyphs
        "\x00\x01\x02",
    ]:
        answer = engine.answer(message, "en")
        assert len(answer.text) < 8000
    assert engine.answer("s\u200bi\u200bg\u200bn\u200ba\u200bl").entries == ("signal",)
    assert engine.answer("ѕіgnаl").entries == ("signal",)
