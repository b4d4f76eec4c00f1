// The runtime module.
