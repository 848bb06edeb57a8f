//! The exit codes of `pc`, as its contract lists them.

use std::process::ExitCode;

/// How a command ended. The numbers are a public interface: scripts test them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success.
    Success,
    /// 2: an invalid invocation or input; nothing was sent.
    Usage,
    /// 3: a device failed and is not allowed, or a `finished_with_errors` batch with no
    /// failed device to explain it.
    DeviceFailed,
    /// 4: the service or the token endpoint answered with an error.
    Service,
    /// 5: a transport failure, a timeout, or an answer that could not be read.
    Transport,
    /// 6: `--wait-timeout` passed before the batch reached a terminal status.
    WaitTimeout,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Usage => 2,
            Exit::DeviceFailed => 3,
            Exit::Service => 4,
            Exit::Transport => 5,
            Exit::WaitTimeout => 6,
        }
    }

    /// How severe an outcome is when parts of an upload are summed up: 5, 4, 6, 3, 0
    /// from the most severe (2 never happens after a part was sent).
    fn severity(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::DeviceFailed => 1,
            Exit::WaitTimeout => 2,
            Exit::Service => 3,
            Exit::Transport => 4,
            Exit::Usage => 5,
        }
    }

    /// The more severe of two outcomes.
    pub fn worst(self, other: Exit) -> Exit {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_sum_up_in_the_order_5_4_6_3_0() {
        use Exit::*;
        let order = [Transport, Service, WaitTimeout, DeviceFailed, Success];
        for (rank, exit) in order.iter().enumerate() {
            for lesser in &order[rank..] {
                assert_eq!(exit.worst(*lesser), *exit, "{exit:?} vs {lesser:?}");
                assert_eq!(lesser.worst(*exit), *exit, "{lesser:?} vs {exit:?}");
            }
        }
    }
}
