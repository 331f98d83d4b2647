from inboxctl.cli.main import main

main()
