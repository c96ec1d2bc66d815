"""Checks anyone can make: the public page /v/ that confirms a printed volunteer record by its
serial, and credit references (信用证明) a bank checks by serial and check code."""
