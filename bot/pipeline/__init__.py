"""What happens to a Matrix event, in stages a newcomer can read top to bottom.

``message.parse`` (one immutable Message) → ``addressing.address`` (is it for us?) →
understanding (``knowledge.Engine``, in ``flow``) → ``policy`` (authority, flood, age,
exactly-once) → an ``actions`` Action (answer, edit an answer, redact an answer, record a
vote, nothing) → I/O, which only the Matrix client (``bot.matrix_bot``) and the storage do.
``flow.Pipeline`` runs the stages.
"""
