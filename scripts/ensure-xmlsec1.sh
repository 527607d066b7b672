#!/usr/bin/env bash
# The receipt XML signature tests verify with xmlsec1 (the XML Security Library's command
# line), an XMLDSig implementation independent of signxml, from Debian's package.
set -euo pipefail
if command -v xmlsec1 >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's xmlsec1 for the receipt XML signature tests…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xmlsec1 >/dev/null
  exit 0
fi
echo "xmlsec1 is not installed: receipt XML signature tests will be skipped (install Debian's 'xmlsec1')." >&2
