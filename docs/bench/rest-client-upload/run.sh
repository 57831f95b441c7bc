#!/usr/bin/env bash
# A 200 MB shard streamed from S3 (S3Mock) to a loopback sink under -Xmx512m, by the JDK client through
# src/http (jdk) and by the Quarkus REST client (rest-multipart: the payload as a multipart InputStream
# part; rest-stream: a hand-framed multipart body as a top-level InputStream entity). Prints one RESULT
# line per run with the summed peak of the heap pools. Needs src/core and src/http built
# (./mvnw -B -q -ntp -o package -pl src/http -am -DskipTests) and the registry for the REST client.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=../../..
WORK=$(mktemp -d)
trap 'kill "${S3PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$ROOT/mvnw" -B -q -ntp dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt"
mkdir -p "$WORK/classes"
CP="$WORK/classes:$(cat "$WORK/cp.txt"):$ROOT/src/core/target/batchlane-core-0.1.0-SNAPSHOT.jar:$ROOT/src/http/target/batchlane-http-0.1.0-SNAPSHOT.jar"
javac -d "$WORK/classes" -cp "$CP" src/main/java/h/*.java
python3 - "$WORK/shard.jsonl" <<'PY'
import sys
head = b'{"custom_id":"req-%08d","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"'
total, n, target = 0, 0, 200_000_000
with open(sys.argv[1], 'wb') as f:
    while total < target:
        line = (head % n) + b'x' * 800 + b'"}]}}\n'
        if total + len(line) > target:
            line = line[:target - total - 1] + b'\n'
        f.write(line); total += len(line); n += 1
PY
PORT=19090
java -Xmx512m -jar ~/.m2/repository/com/adobe/testing/s3mock/5.2.0/s3mock-5.2.0-exec.jar --http.port=$PORT \
    --server.port=0 --com.adobe.testing.s3mock.store.root="$WORK/s3" > "$WORK/s3mock.log" 2>&1 &
S3PID=$!
until curl -s -o /dev/null http://127.0.0.1:$PORT/; do sleep 1; done
java -cp "$CP" h.Put http://127.0.0.1:$PORT bench shard-0.jsonl "$WORK/shard.jsonl"
rm "$WORK/shard.jsonl"
for round in 1 2; do
  for mode in jdk rest-multipart rest-stream; do
    java -Xmx512m -cp "$CP" h.Upload $mode http://127.0.0.1:$PORT bench shard-0.jsonl 2>&1 | grep RESULT
  done
done
