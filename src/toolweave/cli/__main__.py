from toolweave.cli.commands import main

main()
