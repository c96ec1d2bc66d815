"""The command line (flask --app server ...) and the demo data it seeds."""
