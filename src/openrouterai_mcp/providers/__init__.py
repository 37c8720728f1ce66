"""Wire formats: OpenAI Chat Completions (OpenRouter and compatibles) and Anthropic Messages."""
