"""LLM access: the client, endpoint settings, reply parsing, the embedded runtime and its
model files."""
