use harden_harness::nonblocking;
use std::fs::{self, File};
use std::net::UdpSocket;
use std::process::Command;
use std::thread;
use std::time::Duration;

#[nonblocking]
async fn handle(path: &str) -> std::io::Result<usize> {
    thread::sleep(Duration::from_millis(10));
    let text = fs::read_to_string(path)?;
    let _file = File::open(path)?;
    let output = Command::new("ls").arg("-l").output()?;
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.send(text.as_bytes())?;
    Ok(output.stdout.len())
}

fn main() {
    let _ = handle("x");
}
