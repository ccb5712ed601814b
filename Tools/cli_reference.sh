#!/bin/sh
# Writes notebooks/cli.md from the recorded help texts (Tests/Fixtures/cli/*-help.txt), which the
# test suite compares with the tool's own output, and notebooks/directives.md from the directives'
# specs. Run after re-recording the help texts:
#   FPGM_RECORD=1 swift test --filter CLITests/help && sh Tools/cli_reference.sh
set -e
cd "$(dirname "$0")/.."
{
  cat <<'HEAD'
# fpgm command-line reference

Every block below is the tool's own help text, as `fpgm help <subcommand>` prints it (the directives'
help, `fpgm help <directive>`, is collected in [directives.md](directives.md)). The test suite
checks each block against the tool's output byte for byte, so this page cannot drift from the tool.

Exit codes: 0 success; 1 a cell or computation failed; 2 usage or notebook syntax error; 3 input/output
error (missing, unreadable or corrupt file). Help goes to standard output, errors to standard error.
HEAD
  for pair in "fpgm:help" "fpgm render:render-help" "fpgm preview:preview-help" "fpgm flops:flops-help" "fpgm select:select-help" "fpgm inspect:inspect-help" \
              "fpgm norms:norms-help" "fpgm forward:forward-help" "fpgm prune:prune-help" "fpgm evaluate:evaluate-help" "fpgm train:train-help" \
              "fpgm help directives:directives-help"; do
    printf '\n## %s\n\n```text\n' "${pair%%:*}"
    cat "Tests/Fixtures/cli/${pair##*:}.txt"
    printf '```\n'
  done
} > notebooks/cli.md.tmp
mv notebooks/cli.md.tmp notebooks/cli.md
swift build --product fpgm >/dev/null
.build/debug/fpgm help directives --markdown > notebooks/directives.md.tmp
mv notebooks/directives.md.tmp notebooks/directives.md
