"""`python -m openrouterai_mcp`."""

from openrouterai_mcp.cli import main

main()
