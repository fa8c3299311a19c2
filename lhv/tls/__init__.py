"""TLS of the target: an sslyze scan reduced to facts (scan.py), and the contract's judgement of them (judge.py)."""
