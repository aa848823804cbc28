"""No models: core holds shared helpers. The module exists so post_migrate reaches core."""
