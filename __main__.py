"""Entry point of the project's Pulumi program (see Pulumi.yaml and deploy/program.py)."""

from deploy.program import main

main()
