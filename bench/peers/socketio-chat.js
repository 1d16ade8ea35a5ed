// The chat benchmark's socket.io peer (#11): a chat room server that forwards a visitor's
// line to the agent's room and acknowledges it, keeping nothing (no persistence).
// Usage: node socketio-chat.js PORT   (socket.io from scripts/setup.sh's npm cache dir)
// A client connects as ws://HOST:PORT/socket.io/?EIO=4&transport=websocket&role=agent&room=N
// (or role=visitor&room=N); a visitor's `msg` event goes to room N's agents as `line`.
"use strict";
const http = require("http");
const { Server } = require("socket.io");

const port = Number(process.argv[2]);
const server = http.createServer();
const io = new Server(server, {
  transports: ["websocket"],
  serveClient: false,
  perMessageDeflate: false,
});
server.listen(port, "127.0.0.1");

io.on("connection", (socket) => {
  const { role, room } = socket.handshake.query;
  if (role === "agent") {
    socket.join(`agent:${room}`);
    return;
  }
  socket.on("msg", (text, ack) => {
    io.to(`agent:${room}`).emit("line", text);
    if (typeof ack === "function") ack();
  });
});

console.log(`socket.io chat peer listening on ${port}`);
