# Sourced by the demo and the benchmark: starts the emulator on a free loopback port and points AWS at it.
# Sets MOTO_PID and exports AWS_ENDPOINT_URL and test credentials; isolates from the user's AWS config.
moto_start() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p target
  .venv-test/bin/python tests/support/moto_server.py -H 127.0.0.1 -p "$port" >target/moto.log 2>&1 &
  MOTO_PID=$!
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then break; fi
    sleep 0.1
  done
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
  : >target/aws-empty-config
  export AWS_CONFIG_FILE="$PWD/target/aws-empty-config" AWS_SHARED_CREDENTIALS_FILE="$PWD/target/aws-empty-config"
  unset AWS_PROFILE AWS_SESSION_TOKEN
}
moto_stop() {
  if [ -n "${MOTO_PID:-}" ]; then kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true; fi
}
