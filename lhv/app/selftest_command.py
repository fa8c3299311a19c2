"""`lhv selftest`'s options and fixed sample, apart from the self-test itself (which imports the device)."""

from __future__ import annotations

from lhv.contract.dialect_names import DIALECT_NAMES

EQUIVALENTS = "verification/equivalent_mutants.toml"

# --quick: a fixed sample, one or two of each kind and both dialects, each with the one plan that must kill it,
# chosen among the cheap plans so that the whole self-test ends within 3 minutes on two cores.
QUICK: tuple[tuple[str, str], ...] = (
    ("plan:reply:POST/login:200:$.access_token:alter", "PLAN_001"),
    ("v2:reply:POST/login:200:$.access_token:drop", "PLAN_001"),
    ("plan:status:POST/login:200:201", "PLAN_001"),
    ("plan:status:POST/users:403:401", "PLAN_016"),
    ("v2:status:POST/diagnosis-support:422:400", "PLAN_011"),
    ("plan:header:GET/device-information:401:www-authenticate:drop", "PLAN_002"),
    ("plan:header:GET/:*:strict-transport-security:drop", "PLAN_004"),
    ("plan:number:token_lifetime_seconds:double", "PLAN_002"),
    ("plan:number:lockout_threshold:plus1", "PLAN_003"),
    ("v2:reply:POST/diagnosis-support:200:$.imagingAnalysis:reverse", "PLAN_012"),
    ("v2:reply:POST/severity-assessment/automatic/local:200:$.patientEvolution.apasi.score.value:double",
     "PLAN_017"),
    ("plan:log:rate_limit_exceeded:user:drop", "PLAN_008"),
)


def add_parser(commands) -> None:
    """Adds `lhv selftest` to the lhv command."""
    parser = commands.add_parser("selftest", help="validate the harness: the plans against the clean device and "
                                 "every fault and generated mutant; a tool-validation record and a mutation score")
    parser.add_argument("--quick", action="store_true", help=f"only the fixed sample of {len(QUICK)} mutants "
                        "(under 3 minutes on two cores)")
    parser.add_argument("--dialect", choices=DIALECT_NAMES, help="only this dialect's mutants (and the faults "
                        "with the plan dialect)")
    parser.add_argument("--sample", type=int, help="only N mutants, spread evenly over the generated order")
    parser.add_argument("--ids", metavar="FILE", help="only the mutants listed in FILE, one id per line")
    parser.add_argument("--match", action="append", default=[], metavar="GLOB",
                        help="only the mutants whose id matches GLOB (* is the only wildcard; repeatable)")
    parser.add_argument("--jobs", type=int, default=1, help="rows run at once (default 1; each row is its own "
                        "device and `lhv verify`, so more jobs load the machine more)")
    parser.add_argument("--no-faults", action="store_true", help="leave the named faults out")
    parser.add_argument("--kills", metavar="FILE", help="also merge each mutant's outcome into FILE (the committed "
                        "evidence verification/mutant_kills.json that closes clauses by generated mutants)")
    parser.add_argument("--run-id", help="id of the validation record (default: UTC time and a random suffix)")
    parser.add_argument("--reports-dir", default="reports", help="where reports/<id>/ goes")
    parser.add_argument("--equivalents", help=f"the reviewed file of equivalent mutants (default: {EQUIVALENTS})")
    parser.set_defaults(handler=lambda args, extra: _command(args))


def _command(args) -> int:
    from lhv.app.selftest import command

    return command(args)
