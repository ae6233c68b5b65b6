"""Settings: the declaration (`schema`), the user's file (`file`) and the values they resolve
to for the engine (`resolve`)."""
