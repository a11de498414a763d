"""recbot's Matrix side: configuration, storage, the client, commands and moderation."""
