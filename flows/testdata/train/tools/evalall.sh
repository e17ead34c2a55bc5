#!/bin/bash
# evalall.sh REPO FILE... : build the binary in REPO and print each file's overall and per-category line.
repo=$1; shift
(cd $repo && go build -o /tmp/fn-eval ./cmd/fraudnavi) || exit 1
for f in "$@"; do
  printf '%-28s ' $(basename $f)
  (cd $repo && /tmp/fn-eval flows eval $f 2>&1) | awk '/^overall/{o=$2" "$4} /^  [a-z]+ +[0-9]+\/[0-9]+/{c=c" "$1"="$3} /irreversible/{ir=$0} END{print o, c}'
done
