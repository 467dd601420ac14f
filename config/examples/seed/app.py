# The seed's Flask app on port 5000. / answers with the host name (a pod's is its name); /db asks the compose
# file's database, by its service name, whether it is a PostgreSQL server (an SSLRequest: it answers N or S).
import socket

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return f"Hello from {socket.gethostname()}\n"


@app.route("/db")
def db():
    try:
        with socket.create_connection(("db", 5432), timeout=2) as s:
            s.sendall(bytes([0, 0, 0, 8, 4, 210, 22, 47]))
            return f"db answered {s.recv(1).decode()}\n"
    except OSError as e:
        return f"db unreachable: {e}\n", 503


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
