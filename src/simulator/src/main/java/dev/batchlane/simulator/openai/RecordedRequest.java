package dev.batchlane.simulator.openai;

/** One HTTP request the simulator answered, with the status it answered with. */
public record RecordedRequest(String method, String path, int status) {
    @Override
    public String toString() {
        return method + " " + path + " -> " + status;
    }
}
