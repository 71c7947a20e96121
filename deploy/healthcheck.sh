#!/bin/bash
# Container health check for the ReferralNetwork API without curl or wget (the aspnet image has neither):
# one HTTP/1.1 GET over bash's /dev/tcp, healthy only on a 200 status line.
#
#   healthcheck [path]        path defaults to /health/live; docker-compose.yml passes /health/ready
#
# The port is the first one in ASPNETCORE_HTTP_PORTS (8080 in the aspnet image). Exit 0 healthy, 1 not.
set -u

path="${1:-/health/live}"
port="${ASPNETCORE_HTTP_PORTS:-8080}"
port="${port%%[;,]*}"

# Docker's --timeout also ends a hung check; the read timeout keeps it from waiting that long.
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: healthcheck\r\nConnection: close\r\n\r\n' "$path" >&3
IFS= read -r -t 4 status_line <&3 || exit 1
exec 3>&-

case "$status_line" in
  "HTTP/1.1 200 "* | "HTTP/1.1 200"$'\r') exit 0 ;;
  *) echo "unhealthy: GET $path -> ${status_line%$'\r'}" >&2; exit 1 ;;
esac
