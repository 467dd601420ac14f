using Troupe.Api.Dockerfiles;
using Xunit;

namespace Troupe.Api.Tests.Dockerfiles;

/// <summary>Real-world-style Dockerfiles and the exact <c>build --check</c> lines BuildKit's parsing gives them.</summary>
public class DockerfileCorpusSpec
{
    public static TheoryData<string, string, string> Corpus => new()
    {
        {
            "seed python app",
            """
            FROM python:3.11-slim
            WORKDIR /app
            COPY requirements.txt .
            RUN pip install -r requirements.txt
            COPY . .
            EXPOSE 5000
            CMD ["python", "app.py"]
            """,
            """
            {"cmd":"from","flags":[],"args":["python:3.11-slim"],"line":1}
            {"cmd":"workdir","flags":[],"args":["/app"],"line":2}
            {"cmd":"copy","flags":[],"args":["requirements.txt","."],"line":3}
            {"cmd":"run","flags":[],"args":["pip install -r requirements.txt"],"line":4}
            {"cmd":"copy","flags":[],"args":[".","."],"line":5}
            {"cmd":"expose","flags":[],"args":["5000"],"line":6}
            {"cmd":"cmd","flags":[],"args":["python","app.py"],"line":7}
            """
        },
        {
            "go multi-stage with BUILDPLATFORM and cache mounts",
            """
            # syntax=docker/dockerfile:1.7
            ARG GO_VERSION=1.22
            FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-alpine AS build
            ARG TARGETOS TARGETARCH
            WORKDIR /src
            RUN --mount=type=cache,target=/go/pkg/mod \
                --mount=type=bind,source=go.sum,target=go.sum \
                go mod download -x
            RUN --mount=type=cache,target=/root/.cache/go-build \
                CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app ./cmd/app

            FROM gcr.io/distroless/static:nonroot
            COPY --from=build /out/app /app
            USER nonroot:nonroot
            ENTRYPOINT ["/app"]
            """,
            """
            {"cmd":"arg","flags":[],"args":["GO_VERSION","1.22"],"line":2}
            {"cmd":"from","flags":["--platform=$BUILDPLATFORM"],"args":["golang:${GO_VERSION}-alpine","AS","build"],"line":3}
            {"cmd":"arg","flags":[],"args":["TARGETOS",null,"TARGETARCH",null],"line":4}
            {"cmd":"workdir","flags":[],"args":["/src"],"line":5}
            {"cmd":"run","flags":["--mount=type=cache,target=/go/pkg/mod","--mount=type=bind,source=go.sum,target=go.sum"],"args":["go mod download -x"],"line":6}
            {"cmd":"run","flags":["--mount=type=cache,target=/root/.cache/go-build"],"args":["CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app ./cmd/app"],"line":9}
            {"cmd":"from","flags":[],"args":["gcr.io/distroless/static:nonroot"],"line":12}
            {"cmd":"copy","flags":["--from=build"],"args":["/out/app","/app"],"line":13}
            {"cmd":"user","flags":[],"args":["nonroot:nonroot"],"line":14}
            {"cmd":"entrypoint","flags":[],"args":["/app"],"line":15}
            """
        },
        {
            "continuation keeps the next line's indentation",
            """
            FROM debian:bookworm
            RUN apt-get update && \
                apt-get install -y --no-install-recommends \
                  curl ca-certificates && \
                rm -rf /var/lib/apt/lists/*
            """,
            """
            {"cmd":"from","flags":[],"args":["debian:bookworm"],"line":1}
            {"cmd":"run","flags":[],"args":["apt-get update &&     apt-get install -y --no-install-recommends       curl ca-certificates &&     rm -rf /var/lib/apt/lists/*"],"line":2}
            """
        },
        {
            "comments and empty lines inside a continuation are dropped",
            """
            FROM alpine:3.20
            RUN apk add --no-cache \
            # the shell
                bash \

                # and git
                git
            CMD echo done
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine:3.20"],"line":1}
            {"cmd":"run","flags":[],"args":["apk add --no-cache     bash     git"],"line":2}
            {"cmd":"cmd","flags":[],"args":["echo done"],"line":8}
            """
        },
        {
            "node multi-stage",
            """
            FROM --platform=$BUILDPLATFORM node:20-alpine AS deps
            WORKDIR /app
            COPY package.json package-lock.json ./
            RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev

            FROM node:20-alpine AS runner
            ENV NODE_ENV=production PORT=3000
            COPY --from=deps --chown=node:node /app/node_modules ./node_modules
            COPY --chown=node:node . .
            USER node
            EXPOSE 3000
            CMD ["node", "server.js"]
            """,
            """
            {"cmd":"from","flags":["--platform=$BUILDPLATFORM"],"args":["node:20-alpine","AS","deps"],"line":1}
            {"cmd":"workdir","flags":[],"args":["/app"],"line":2}
            {"cmd":"copy","flags":[],"args":["package.json","package-lock.json","./"],"line":3}
            {"cmd":"run","flags":["--mount=type=cache,target=/root/.npm"],"args":["npm ci --omit=dev"],"line":4}
            {"cmd":"from","flags":[],"args":["node:20-alpine","AS","runner"],"line":6}
            {"cmd":"env","flags":[],"args":["NODE_ENV","production","PORT","3000"],"line":7}
            {"cmd":"copy","flags":["--from=deps","--chown=node:node"],"args":["/app/node_modules","./node_modules"],"line":8}
            {"cmd":"copy","flags":["--chown=node:node"],"args":[".","."],"line":9}
            {"cmd":"user","flags":[],"args":["node"],"line":10}
            {"cmd":"expose","flags":[],"args":["3000"],"line":11}
            {"cmd":"cmd","flags":[],"args":["node","server.js"],"line":12}
            """
        },
        {
            ".NET multi-stage",
            """
            FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
            ARG TARGETARCH
            WORKDIR /source
            COPY --link *.csproj .
            RUN dotnet restore -a $TARGETARCH
            COPY --link . .
            RUN dotnet publish -a $TARGETARCH --no-restore -o /app

            FROM mcr.microsoft.com/dotnet/aspnet:10.0
            EXPOSE 8080
            WORKDIR /app
            COPY --link --from=build /app .
            USER $APP_UID
            ENTRYPOINT ["./aspnetapp"]
            """,
            """
            {"cmd":"from","flags":[],"args":["mcr.microsoft.com/dotnet/sdk:10.0","AS","build"],"line":1}
            {"cmd":"arg","flags":[],"args":["TARGETARCH",null],"line":2}
            {"cmd":"workdir","flags":[],"args":["/source"],"line":3}
            {"cmd":"copy","flags":["--link"],"args":["*.csproj","."],"line":4}
            {"cmd":"run","flags":[],"args":["dotnet restore -a $TARGETARCH"],"line":5}
            {"cmd":"copy","flags":["--link"],"args":[".","."],"line":6}
            {"cmd":"run","flags":[],"args":["dotnet publish -a $TARGETARCH --no-restore -o /app"],"line":7}
            {"cmd":"from","flags":[],"args":["mcr.microsoft.com/dotnet/aspnet:10.0"],"line":9}
            {"cmd":"expose","flags":[],"args":["8080"],"line":10}
            {"cmd":"workdir","flags":[],"args":["/app"],"line":11}
            {"cmd":"copy","flags":["--link","--from=build"],"args":["/app","."],"line":12}
            {"cmd":"user","flags":[],"args":["$APP_UID"],"line":13}
            {"cmd":"entrypoint","flags":[],"args":["./aspnetapp"],"line":14}
            """
        },
        {
            "rust with cargo caches",
            """
            FROM rust:1.80 AS builder
            WORKDIR /usr/src/app
            COPY . .
            RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
                --mount=type=cache,target=/usr/src/app/target \
                cargo build --release && cp target/release/app /usr/local/bin/app
            FROM debian:bookworm-slim
            COPY --from=builder /usr/local/bin/app /usr/local/bin/app
            CMD ["app"]
            """,
            """
            {"cmd":"from","flags":[],"args":["rust:1.80","AS","builder"],"line":1}
            {"cmd":"workdir","flags":[],"args":["/usr/src/app"],"line":2}
            {"cmd":"copy","flags":[],"args":[".","."],"line":3}
            {"cmd":"run","flags":["--mount=type=cache,target=/usr/local/cargo/registry,sharing=locked","--mount=type=cache,target=/usr/src/app/target"],"args":["cargo build --release && cp target/release/app /usr/local/bin/app"],"line":4}
            {"cmd":"from","flags":[],"args":["debian:bookworm-slim"],"line":7}
            {"cmd":"copy","flags":["--from=builder"],"args":["/usr/local/bin/app","/usr/local/bin/app"],"line":8}
            {"cmd":"cmd","flags":[],"args":["app"],"line":9}
            """
        },
        {
            "heredoc RUN",
            """
            FROM alpine
            RUN <<EOF
            apk add --no-cache curl
            echo hi > /hello
            EOF
            RUN echo after
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"run","flags":[],"args":["<<EOF"],"line":2,"heredocs":[{"name":"EOF","body":"apk add --no-cache curl\necho hi > /hello\n"}]}
            {"cmd":"run","flags":[],"args":["echo after"],"line":6}
            """
        },
        {
            "quoted heredoc with interpreter",
            """
            FROM python:3.12
            RUN python3 <<'EOF'
            import os
            print(os.environ.get("HOME", "$HOME"))
            EOF
            """,
            """
            {"cmd":"from","flags":[],"args":["python:3.12"],"line":1}
            {"cmd":"run","flags":[],"args":["python3 <<'EOF'"],"line":2,"heredocs":[{"name":"EOF","body":"import os\nprint(os.environ.get(\"HOME\", \"$HOME\"))\n"}]}
            """
        },
        {
            "two heredocs on one RUN",
            """
            FROM busybox
            RUN <<FILE1 cat > /file1 && <<FILE2 cat > /file2
            I am
            first
            FILE1
            I am
            second
            FILE2
            """,
            """
            {"cmd":"from","flags":[],"args":["busybox"],"line":1}
            {"cmd":"run","flags":[],"args":["<<FILE1 cat > /file1 && <<FILE2 cat > /file2"],"line":2,"heredocs":[{"name":"FILE1","body":"I am\nfirst\n"},{"name":"FILE2","body":"I am\nsecond\n"}]}
            """
        },
        {
            "COPY heredoc to a file",
            """
            FROM nginx
            COPY <<EOF /etc/nginx/conf.d/default.conf
            server { listen 80; }
            EOF
            """,
            """
            {"cmd":"from","flags":[],"args":["nginx"],"line":1}
            {"cmd":"copy","flags":[],"args":["<<EOF","/etc/nginx/conf.d/default.conf"],"line":2,"heredocs":[{"name":"EOF","body":"server { listen 80; }\n"}]}
            """
        },
        {
            "backtick escape, Windows style",
            """
            # escape=`
            FROM mcr.microsoft.com/windows/servercore:ltsc2022
            SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop';"]
            RUN New-Item -ItemType Directory C:\app ; `
                Set-Location C:\app
            COPY app\ C:\app\
            WORKDIR C:\app
            """,
            """
            {"cmd":"from","flags":[],"args":["mcr.microsoft.com/windows/servercore:ltsc2022"],"line":2}
            {"cmd":"shell","flags":[],"args":["powershell","-Command","$ErrorActionPreference = 'Stop';"],"line":3}
            {"cmd":"run","flags":[],"args":["New-Item -ItemType Directory C:\\app ;     Set-Location C:\\app"],"line":4}
            {"cmd":"copy","flags":[],"args":["app\\","C:\\app\\"],"line":6}
            {"cmd":"workdir","flags":[],"args":["C:\\app"],"line":7}
            """
        },
        {
            "bad JSON falls back to the shell form",
            """
            FROM python:3
            CMD [python, app.py]
            ENTRYPOINT ["tini", "--"
            RUN ["echo", 'single']
            """,
            """
            {"cmd":"from","flags":[],"args":["python:3"],"line":1}
            {"cmd":"cmd","flags":[],"args":["[python, app.py]"],"line":2}
            {"cmd":"entrypoint","flags":[],"args":["[\"tini\", \"--\""],"line":3}
            {"cmd":"run","flags":[],"args":["[\"echo\", 'single']"],"line":4}
            """
        },
        {
            "ENV modern with quotes and escapes, legacy form",
            """
            FROM alpine
            ENV A="x y" B=z\ w C='$HOME stays' D=
            ENV LEGACY v w
            ENV PATH="/opt/bin:${PATH}"
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"env","flags":[],"args":["A","x y","B","z w","C","$HOME stays","D",""],"line":2}
            {"cmd":"env","flags":[],"args":["LEGACY","v w"],"line":3}
            {"cmd":"env","flags":[],"args":["PATH","/opt/bin:${PATH}"],"line":4}
            """
        },
        {
            "LABEL over several lines",
            """
            FROM alpine
            LABEL org.opencontainers.image.title="My App" \
                  org.opencontainers.image.version=1.2.3 \
                  "com.example.quoted key"="v"
            LABEL maintainer="Jane Doe <jane@example.com>"
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"label","flags":[],"args":["org.opencontainers.image.title","My App","org.opencontainers.image.version","1.2.3","com.example.quoted key","v"],"line":2}
            {"cmd":"label","flags":[],"args":["maintainer","Jane Doe <jane@example.com>"],"line":5}
            """
        },
        {
            "ONBUILD",
            """
            FROM node:20
            ONBUILD COPY package.json /app/
            ONBUILD RUN --mount=type=cache,target=/root/.npm npm install
            """,
            """
            {"cmd":"from","flags":[],"args":["node:20"],"line":1}
            {"cmd":"onbuild","flags":[],"args":[{"cmd":"copy","flags":[],"args":["package.json","/app/"],"line":2}],"line":2}
            {"cmd":"onbuild","flags":[],"args":[{"cmd":"run","flags":["--mount=type=cache,target=/root/.npm"],"args":["npm install"],"line":3}],"line":3}
            """
        },
        {
            "HEALTHCHECK NONE and with options",
            """
            FROM nginx
            HEALTHCHECK NONE
            HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --start-interval=1s --retries=3 \
              CMD curl -f http://localhost/ || exit 1
            HEALTHCHECK CMD ["wget", "-qO-", "http://localhost"]
            """,
            """
            {"cmd":"from","flags":[],"args":["nginx"],"line":1}
            {"cmd":"healthcheck","flags":[],"args":["NONE"],"line":2}
            {"cmd":"healthcheck","flags":["--interval=30s","--timeout=3s","--start-period=5s","--start-interval=1s","--retries=3"],"args":["CMD","curl -f http://localhost/ || exit 1"],"line":3}
            {"cmd":"healthcheck","flags":[],"args":["CMD","wget","-qO-","http://localhost"],"line":5}
            """
        },
        {
            "EXPOSE protocols, VOLUME both forms, STOPSIGNAL, MAINTAINER",
            """
            FROM alpine
            MAINTAINER Jane Doe <jane@example.com>
            EXPOSE 80/tcp 53/udp 8000-8010
            VOLUME /data /logs
            VOLUME ["/var/lib/db"]
            STOPSIGNAL SIGTERM
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"maintainer","flags":[],"args":["Jane Doe <jane@example.com>"],"line":2}
            {"cmd":"expose","flags":[],"args":["80/tcp","53/udp","8000-8010"],"line":3}
            {"cmd":"volume","flags":[],"args":["/data","/logs"],"line":4}
            {"cmd":"volume","flags":[],"args":["/var/lib/db"],"line":5}
            {"cmd":"stopsignal","flags":[],"args":["SIGTERM"],"line":6}
            """
        },
        {
            "lower-case and mixed-case keywords",
            """
            from alpine as Base
            Run echo hi
            cmd ["sh"]
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine","as","Base"],"line":1}
            {"cmd":"run","flags":[],"args":["echo hi"],"line":2}
            {"cmd":"cmd","flags":[],"args":["sh"],"line":3}
            """
        },
        {
            "ARG several pairs, quoted and empty",
            """
            ARG BASE=alpine:3.20 VERSION="1.0 beta" EMPTY=
            FROM ${BASE}
            ARG VERSION
            """,
            """
            {"cmd":"arg","flags":[],"args":["BASE","alpine:3.20","VERSION","1.0 beta","EMPTY",""],"line":1}
            {"cmd":"from","flags":[],"args":["${BASE}"],"line":2}
            {"cmd":"arg","flags":[],"args":["VERSION",null],"line":3}
            """
        },
        {
            "ADD with checksum, URL and git",
            """
            FROM alpine
            ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/a.tar.gz /tmp/
            ADD --keep-git-dir=true https://github.com/moby/buildkit.git#v0.14 /buildkit
            ADD --exclude=*.md --exclude=docs/ . /src
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"add","flags":["--checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d"],"args":["https://example.com/a.tar.gz","/tmp/"],"line":2}
            {"cmd":"add","flags":["--keep-git-dir=true"],"args":["https://github.com/moby/buildkit.git#v0.14","/buildkit"],"line":3}
            {"cmd":"add","flags":["--exclude=*.md","--exclude=docs/"],"args":[".","/src"],"line":4}
            """
        },
        {
            "COPY JSON form with spaces, --parents and --chmod",
            """
            FROM alpine
            COPY ["my file.txt", "other file", "/dest dir/"]
            COPY --parents --chmod=0755 ./x/*/bin /out/
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"copy","flags":[],"args":["my file.txt","other file","/dest dir/"],"line":2}
            {"cmd":"copy","flags":["--parents","--chmod=0755"],"args":["./x/*/bin","/out/"],"line":3}
            """
        },
        {
            "RUN network and security flags, JSON exec form",
            """
            FROM alpine
            RUN --network=none --security=insecure ["/bin/sh", "-c", "echo isolated"]
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"run","flags":["--network=none","--security=insecure"],"args":["/bin/sh","-c","echo isolated"],"line":2}
            """
        },
        {
            "flags with quotes are unquoted as BuildKit does",
            """
            FROM alpine
            RUN --mount="type=secret,id=npmrc,target=/root/.npmrc" npm ci
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"run","flags":["--mount=type=secret,id=npmrc,target=/root/.npmrc"],"args":["npm ci"],"line":2}
            """
        },
        {
            "CRLF line endings and a BOM",
            "\uFEFFFROM alpine\r\nRUN echo a \\\r\n    b\r\nCMD [\"sh\"]\r\n",
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"run","flags":[],"args":["echo a     b"],"line":2}
            {"cmd":"cmd","flags":[],"args":["sh"],"line":4}
            """
        },
        {
            "trailing whitespace after the escape still continues",
            "FROM alpine\nRUN echo one \\   \n  two\n",
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"run","flags":[],"args":["echo one   two"],"line":2}
            """
        },
        {
            "an escaped escape at the end is not a continuation",
            "FROM alpine\nRUN echo a\\\\\nRUN echo b\n",
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"run","flags":[],"args":["echo a\\\\"],"line":2}
            {"cmd":"run","flags":[],"args":["echo b"],"line":3}
            """
        },
        {
            "chomping heredoc strips leading tabs",
            "FROM alpine\nRUN <<-EOT sh\n\techo one\n\t\techo two\n\tEOT\n",
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"run","flags":[],"args":["<<-EOT sh"],"line":2,"heredocs":[{"name":"EOT","body":"echo one\necho two\n"}]}
            """
        },
        {
            "heredoc in JSON form is not a heredoc; << inside quotes is not either",
            """
            FROM alpine
            RUN ["sh", "-c", "cat <<EOF"]
            RUN echo "<<EOF" && echo done
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"run","flags":[],"args":["sh","-c","cat <<EOF"],"line":2}
            {"cmd":"run","flags":[],"args":["echo \"<<EOF\" && echo done"],"line":3}
            """
        },
        {
            "directives are case-insensitive; a later one is a comment",
            """
            # Syntax=docker/dockerfile:1
            # ESCAPE=`

            # escape=\
            FROM alpine
            RUN echo a `
              b
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":5}
            {"cmd":"run","flags":[],"args":["echo a   b"],"line":6}
            """
        },
        {
            "a directive after a comment is only a comment",
            """
            # my image
            # escape=`
            FROM alpine
            RUN echo a \
              b
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":3}
            {"cmd":"run","flags":[],"args":["echo a   b"],"line":4}
            """
        },
        {
            "indented instructions and comments",
            """
              FROM alpine
                # indented comment
              RUN   echo   spaced
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"run","flags":[],"args":["echo   spaced"],"line":3}
            """
        },
        {
            "CMD and ENTRYPOINT empty JSON, SHELL override",
            """
            FROM alpine
            SHELL ["/bin/bash", "-o", "pipefail", "-c"]
            ENTRYPOINT []
            CMD []
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"shell","flags":[],"args":["/bin/bash","-o","pipefail","-c"],"line":2}
            {"cmd":"entrypoint","flags":[],"args":[],"line":3}
            {"cmd":"cmd","flags":[],"args":[],"line":4}
            """
        },
        {
            "ONBUILD with a heredoc",
            """
            FROM alpine
            ONBUILD RUN <<EOF
            echo triggered
            EOF
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"onbuild","flags":[],"args":[{"cmd":"run","flags":[],"args":["<<EOF"],"line":2,"heredocs":[{"name":"EOF","body":"echo triggered\n"}]}],"line":2}
            """
        },
        {
            "unicode and non-ASCII stay readable",
            """
            FROM alpine
            LABEL description="café & crème <ok>"
            RUN echo 'héllo' > /tmp/x
            """,
            """
            {"cmd":"from","flags":[],"args":["alpine"],"line":1}
            {"cmd":"label","flags":[],"args":["description","café & crème <ok>"],"line":2}
            {"cmd":"run","flags":[],"args":["echo 'héllo' > /tmp/x"],"line":3}
            """
        },
        {
            "scratch with a file descriptor heredoc",
            """
            FROM scratch AS out
            COPY --from=build /bin/app /
            FROM alpine
            RUN 3<<EOF cat /dev/fd/3
            fd three
            EOF
            """,
            """
            {"cmd":"from","flags":[],"args":["scratch","AS","out"],"line":1}
            {"cmd":"copy","flags":["--from=build"],"args":["/bin/app","/"],"line":2}
            {"cmd":"from","flags":[],"args":["alpine"],"line":3}
            {"cmd":"run","flags":[],"args":["3<<EOF cat /dev/fd/3"],"line":4,"heredocs":[{"name":"EOF","body":"fd three\n"}]}
            """
        },
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public void DockerfileParser_must_print_the_check_lines_BuildKit_parsing_gives(string name, string dockerfile, string expected)
    {
        _ = name;
        var parsed = DockerfileParser.Parse(dockerfile);
        Assert.Equal(expected.ReplaceLineEndings("\n") + "\n", DockerfileJson.CheckLines(parsed));
    }
}
