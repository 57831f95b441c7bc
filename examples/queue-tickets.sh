#!/usr/bin/env bash
# An application on the queue lane: 300 support tickets enqueued one at a time over a minute
# (5 a second), each answer received on the application's reply queue as it comes.
# Run `./batchlane up` in another terminal first. With the local stack's queue policy (a flush once
# the oldest request has waited 20 s) the answers arrive in batches of about 100 and the whole run
# takes about two minutes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
reply=batchlane-replies-tickets
./batchlane queue follow --reply-to-queue "$reply" --count 300 --timeout PT5M &
follower=$!
./batchlane queue send examples/queue-tickets.jsonl --queue tickets --rate 5/s --reply-to-queue "$reply"
wait "$follower"
./batchlane result openai/tickets ticket-0001
