from .cli import main

# Guarded: with the "spawn" start method (Windows, macOS) each worker process imports the
# main module again, and must not start a second run.
if __name__ == "__main__":
    main()
