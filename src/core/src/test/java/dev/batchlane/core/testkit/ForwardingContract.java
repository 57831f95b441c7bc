package dev.batchlane.core.testkit;

import dev.batchlane.core.ingest.RequestContract;

/**
 * {@link ScriptedProvider#OPENAI_LIKE}'s line rules, for a test that changes one other thing about
 * a contract (what it reads from metadata, when it runs shards on demand) by overriding it.
 */
public class ForwardingContract implements RequestContract {
    @Override
    public String idField() {
        return ScriptedProvider.OPENAI_LIKE.idField();
    }

    @Override
    public FileRules startFile() {
        return ScriptedProvider.OPENAI_LIKE.startFile();
    }
}
