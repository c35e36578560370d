"""The shared kernel: small pieces every app may use and that use no app."""
