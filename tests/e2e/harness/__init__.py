"""End-to-end harness: moto (Lambda/IAM/STS), a scriptable Lambda double, an echo
backend and a real Envoy 1.40 running the filter module."""
