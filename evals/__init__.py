"""policy-qa evals: the hand-written question set (``dev.jsonl``), its loader, metrics and runner.

``python -m evals run`` scores the assistant; see ``evals/README.md``. Nothing in the product
imports this package; it imports the product.
"""
