// The anomaly layer's I/O: supervisor, egress gateway, sandbox.
export {};
