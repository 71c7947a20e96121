#!/usr/bin/env bash
# Regenerates openapi/referral-network.v1.json from the code: the API starts on a loopback port (no database is
# touched), serves its document, and the document is written. CI fails when the committed file is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/ReferralNetwork.Api -c Release -nologo --verbosity quiet
dotnet src/ReferralNetwork.Api/bin/Release/net10.0/ReferralNetwork.Api.dll openapi "$PWD/openapi/referral-network.v1.json" \
  --Logging:LogLevel:Default=Warning
