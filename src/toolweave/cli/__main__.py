from toolweave.cli.main import main

main()
