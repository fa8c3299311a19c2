#!/usr/bin/env bash
# The shell steps of the CI examples (github-actions.yml, gitlab-ci.yml): install the harness, lint the client's
# requests, run the verification, and leave the record under $LHV_REPORTS. tests/test_ci_examples.py runs this file.
#
# Variables (unset or "" takes the default):
#   LHV_INSTALL      what pip installs the harness from: "." (this repository), a wheel
#                    (dist/lhv-1.2.0-py3-none-any.whl) or "lhv @ git+https://…@v1.2.0"; "" = lhv is installed already
#   LHV_PROFILE      the target profile (TOML); "" = the embedded reference device (a dry run of the pipeline)
#   LHV_SUITE        "" = every plan in the profile's scope; "integration" = the production-safe integration suite
#   LHV_PAYLOADS     the client's requests for `lhv check-payload`: files or folders, separated by spaces; "" = none
#   LHV_REPORTS      where the record folder goes (default reports); the CI uploads this folder
#   LHV_RUN_ID       the record folder's name, reports/<run id>/ (default: lhv's own, from the time); must be new
#   LHV_TESTER       who runs the verification, "Name (role id)", on the record's cover (read by lhv verify itself)
#   LHV_VERIFY_ARGS  further `lhv verify` arguments, separated by spaces (e.g. --plan PLAN_001); arguments given to
#                    this script follow them
# The credentials are the environment variables the profile's [credentials] names, set from the CI's secrets.
#
# Exit: 0 every plan in scope passed and every request is clean;
#       1 a plan failed, was inconclusive or did not run (incomplete), or a request has problems;
#       2 usage, configuration or target error (a broken profile, an unset credential variable, a target that is
#         down or not trusted, an aborted run), an unreadable request file, or the harness could not be installed.
# Both steps always run; the exit is the larger of the two, so the job fails on 1 and on 2.
set -uo pipefail

reports=${LHV_REPORTS:-reports}

if [ -n "${LHV_INSTALL:-}" ]; then
  echo "installing the harness: pip install $LHV_INSTALL"
  python3 -m pip install --quiet "$LHV_INSTALL" || { echo "lhv-ci: pip install $LHV_INSTALL failed" >&2; exit 2; }
fi
command -v lhv >/dev/null || { echo "lhv-ci: no lhv command on PATH (set LHV_INSTALL)" >&2; exit 2; }
mkdir -p "$reports" || exit 2

lint=0
read -r -a payloads <<< "${LHV_PAYLOADS:-}"
if [ ${#payloads[@]} -gt 0 ]; then
  echo "== lhv check-payload ${payloads[*]}"
  lhv check-payload "${payloads[@]}" | tee "$reports/check-payload.txt"
  lint=${PIPESTATUS[0]}
fi

args=(--reports-dir "$reports")
[ -n "${LHV_PROFILE:-}" ] && args+=(--profile "$LHV_PROFILE")
[ -n "${LHV_SUITE:-}" ] && args+=(--suite "$LHV_SUITE")
[ -n "${LHV_RUN_ID:-}" ] && args+=(--run-id "$LHV_RUN_ID")
read -r -a more <<< "${LHV_VERIFY_ARGS:-}"
echo "== lhv verify ${args[*]} ${more[*]} $*"
lhv verify "${args[@]}" "${more[@]}" "$@"
verify=$?

code=$(( lint > verify ? lint : verify ))
echo "lhv-ci: check-payload exit $lint, verify exit $verify: job exit $code" \
     "(0 passed; 1 failed, inconclusive, incomplete or requests with problems; 2 configuration or target error)"
exit "$code"
