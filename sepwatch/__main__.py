from sepwatch.cli import main

main()
