"""`python -m openrouterai_mcp`."""

from openrouterai_mcp import main

main()
