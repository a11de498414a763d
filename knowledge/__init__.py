"""recbot's knowledge: model, loading, understanding and rendering. Pure Python, no Matrix."""
