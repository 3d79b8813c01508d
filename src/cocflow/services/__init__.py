"""One function per thing a person does; every face (CLI, web) calls these."""
