"""The project's own Pulumi program: composes a stack in ``stacks/`` from its config."""
