"""Human and JSON views of core results: plain text, no click (the commands only print them)."""
