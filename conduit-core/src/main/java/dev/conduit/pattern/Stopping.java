package dev.conduit.pattern;

import java.util.List;

/** Ending members at a group's close, whatever interrupts the closing thread. */
final class Stopping {
    private Stopping() {
    }

    static void stopAll(List<? extends Outlet<?>> members) {
        boolean interrupted = false;
        for (Outlet<?> member : members) {
            while (true) {
                try {
                    member.stopNow();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the thread is ending (its sender is closed); wait on
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
