"""openrouterai-mcp: an MCP server for OpenRouter.ai and any OpenAI- or Anthropic-compatible API."""

__version__ = "0.1.0"
