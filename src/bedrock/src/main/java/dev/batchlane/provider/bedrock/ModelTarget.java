package dev.batchlane.provider.bedrock;

/**
 * The model, format and on-demand choice of a file, carried as its endpoint (see {@link
 * BedrockContract}).
 */
record ModelTarget(String model, InvocationType type, boolean onDemandAllowed) {
    static ModelTarget parse(String endpoint) {
        if (endpoint == null || !endpoint.startsWith("/model/")) {
            throw new IllegalArgumentException(
                    "not a Bedrock endpoint: '" + endpoint + "'; expected /model/<id>/invoke");
        }
        String path = endpoint;
        boolean allowed = true;
        int q = path.indexOf('?');
        if (q >= 0) {
            allowed = !path.substring(q + 1).contains("on-demand=never");
            path = path.substring(0, q);
        }
        int slash = path.lastIndexOf('/');
        String verb = path.substring(slash + 1);
        InvocationType type =
                switch (verb) {
                    case "converse" -> InvocationType.CONVERSE;
                    case "invoke" -> InvocationType.INVOKE_MODEL;
                    default ->
                            throw new IllegalArgumentException(
                                    "not a Bedrock endpoint: '" + endpoint + "'");
                };
        return new ModelTarget(path.substring("/model/".length(), slash), type, allowed);
    }
}
