#!/usr/bin/env bash
# Builds secretenv and shows what an app would see: it starts a local Secrets
# Manager emulator (moto_server) on a free loopback port, stores
# examples/secret.json as the secret "demo/app" with secretenv put, lists it,
# and runs a command through secretenv. Everything it starts is stopped when it exits.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v moto_server >/dev/null 2>&1; then
	echo "demo.sh: installing moto[server] (the Secrets Manager emulator)" >&2
	python3 -m pip install --quiet "moto[server]"
fi

# Stamped like a release build, so that ./secretenv --version says which
# commit it is.
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
CGO_ENABLED=0 go build -trimpath -ldflags "-X main.version=$version" -o secretenv .

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; wait $moto 2>/dev/null || true' EXIT
for _ in $(seq 100); do
	curl -fsS -o /dev/null "http://127.0.0.1:$port/moto-api/" 2>/dev/null && break
	sleep 0.1
done

export AWS_ENDPOINT_URL_SECRETS_MANAGER="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1
# secretenv itself stores the secret: put creates it (--yes answers the
# question a terminal would be asked), and list shows it without values.
echo "\$ ./secretenv put demo/app --from examples/secret.json --yes"
./secretenv put demo/app --from examples/secret.json --yes
echo
echo "\$ ./secretenv list demo/"
./secretenv list demo/
echo
echo "\$ SECRET_ID=demo/app DEBUG=true ./secretenv check"
SECRET_ID=demo/app DEBUG=true ./secretenv check
echo
echo "\$ SECRET_ID=demo/app DEBUG=true ./secretenv -- sh -c 'echo \"DEBUG=\$DEBUG WORKERS=\$WORKERS\"; echo \"pid \$\$, SECRET_KEY is \${#DJANGO_SECRET_KEY} characters\"'"
SECRET_ID=demo/app DEBUG=true ./secretenv -- sh -c 'echo "DEBUG=$DEBUG WORKERS=$WORKERS"; echo "pid $$, SECRET_KEY is ${#DJANGO_SECRET_KEY} characters"'
