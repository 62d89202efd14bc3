/** A user's application on the module path: it needs only Conduit's exported API. */
module conduit.example {
    requires dev.conduit;
}
