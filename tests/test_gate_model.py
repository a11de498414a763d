"""Unit tests for the gate experiment's model (bench/gate_model.py): features, probabilities, the bounded weights reader."""

import json

import pytest

from bench.gate_model import CLASSES, MAX_WEIGHTS_BYTES, Gate, GateError, features, gold_class, load_gate


def test_gold_class_takes_the_first_acceptable_intent():
    assert gold_class("card") == "answer"
    assert gold_class(["support", "none"]) == "support"
    assert gold_class(["none", "card"]) == "none"
    assert gold_class("help") == "answer"


def test_features_name_words_bigrams_trigrams_and_rule_facts():
    feats = features("is signal safe?", "is signal safe", 1, ["question"], True, False, False)
    assert {"bias", "w:signal", "b:is_signal", "c: is", "r:entries=1", "r:cue=question", "r:qmark", "r:yes_no"} <= set(feats)
    assert "r:first_person_trouble" not in feats
    masked = features("is signal safe?", "is signal safe", 1, [], True, True, True, frozenset({"signal"}))
    assert "w:<app>" in masked and "w:signal" not in masked and "r:first_person_trouble" in masked


def test_features_of_a_long_message_are_bounded():
    long = "word " * 10_000
    assert len(features(long, long, 0, [], False, False, False)) < 3_000  # 2,000 characters read


def test_probabilities_follow_the_weights_and_sum_to_one():
    gate = Gate({"w:broken": [0.0, 3.0, 0.0], "bias": [0.5, 0.0, 0.0]})
    p = gate.probabilities(["bias", "w:broken", "w:unseen"])
    assert max(p, key=p.get) == "support"
    assert sum(p.values()) == pytest.approx(1.0)
    only_bias = gate.probabilities(["bias"])
    assert max(only_bias, key=only_bias.get) == "answer"


def test_load_gate_reads_a_weights_file(tmp_path):
    path = tmp_path / "gate.json"
    path.write_text(json.dumps({"classes": list(CLASSES), "weights": {"bias": [0.1, 0.2, 0.3]}}))
    assert load_gate(path).weights == {"bias": [0.1, 0.2, 0.3]}


@pytest.mark.parametrize("content, says", [
    ("{not json", "not valid JSON"),
    (json.dumps({"classes": ["a", "b", "c"], "weights": {}}), "'classes'"),
    (json.dumps({"classes": list(CLASSES), "weights": {"bias": [1, 2]}}), "three numbers"),
    (json.dumps([1, 2, 3]), "'classes'"),
])
def test_load_gate_names_the_file_and_the_problem(tmp_path, content, says):
    path = tmp_path / "gate.json"
    path.write_text(content)
    with pytest.raises(GateError) as info:
        load_gate(path)
    assert str(path) in str(info.value) and says in str(info.value)


def test_load_gate_refuses_a_huge_or_missing_file(tmp_path):
    huge = tmp_path / "huge.json"
    huge.write_bytes(b" " * (MAX_WEIGHTS_BYTES + 1))
    with pytest.raises(GateError, match="larger than"):
        load_gate(huge)
    with pytest.raises(GateError, match="cannot read"):
        load_gate(tmp_path / "absent.json")
