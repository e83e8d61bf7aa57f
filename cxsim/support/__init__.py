"""Support operations: the SimPy contact-centre model, Erlang C and A, and the response-time
curve."""
