namespace Troupe.Api.Tests.Manifests;

/// <summary>Real-world-shaped manifests, written as users write them.</summary>
public static class Corpus
{
    /// <summary>The seed's Deployment (seed-examples.md), exactly.</summary>
    public const string SeedDeployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: myapp
        spec:
          replicas: 3
          selector:
            matchLabels:
              app: myapp
          template:
            metadata:
              labels:
                app: myapp
            spec:
              containers:
              - name: myapp
                image: myapp:1.0
                ports:
                - containerPort: 5000

        """;

    /// <summary>Every field Troupe models, with comments and unmodelled Kubernetes fields mixed in.</summary>
    public const string FullDeployment = """
        # The web tier.
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: shop
          labels:
            app.kubernetes.io/name: web   # recommended label
            tier: frontend
          annotations:
            team: "payments"
            deployment.kubernetes.io/revision: "3"
          uid: 5f0c1d7e-aaaa-bbbb-cccc-000000000000
          resourceVersion: "12345"
        spec:
          replicas: 5
          minReadySeconds: 10
          revisionHistoryLimit: 4
          progressDeadlineSeconds: 300
          paused: true
          selector:
            matchLabels:
              app.kubernetes.io/name: web
            matchExpressions:
            - key: tier
              operator: In
              values: [frontend, edge]
            - {key: canary, operator: DoesNotExist}
          strategy:
            type: RollingUpdate
            rollingUpdate:
              maxSurge: 1
              maxUnavailable: 25%
          template:
            metadata:
              labels:
                app.kubernetes.io/name: web
                tier: frontend
            spec:
              restartPolicy: Always
              terminationGracePeriodSeconds: 45
              nodeName: node-1
              hostname: web-host
              nodeSelector:
                disktype: ssd
              volumes:
              - name: cache
                emptyDir: {}
              securityContext:
                runAsUser: 1000
              initContainers:
              - name: migrate
                image: registry.example.com:5000/shop/migrate@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
                command: ["/bin/migrate", "--up"]
              containers:
              - name: web
                image: nginx:1.25
                imagePullPolicy: IfNotPresent
                command:
                - /docker-entrypoint.sh
                args: ["nginx", "-g", "daemon off;"]
                workingDir: /usr/share/nginx
                tty: true
                stdin: false
                env:
                - name: PORT
                  value: "8080"
                - name: GREETING
                  value: 'hello: world'
                - name: EMPTY
                ports:
                - containerPort: 8080
                  name: http
                  protocol: TCP
                  hostPort: 18080
                  hostIP: 127.0.0.1
                - containerPort: 5353
                  protocol: UDP
                resources:
                  requests:
                    cpu: 250m
                    memory: 64Mi
                  limits:
                    cpu: 1
                    memory: 1Gi
                livenessProbe:
                  httpGet: {path: /healthz, port: 8080}
                volumeMounts:
                - {name: cache, mountPath: /cache}
        status:
          replicas: 5
          readyReplicas: 5

        """;

    /// <summary>A PersistentVolumeClaim (a kind Troupe does not run) and a Deployment in one file, with empty documents around them.</summary>
    public const string ClaimAndDeployment = """
        ---
        # nothing here
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: web
        spec:
          accessModes: [ReadWriteOnce]
          resources:
            requests: {storage: 1Gi}
          volumeMode: Filesystem
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: web, image: "nginx", ports: [{containerPort: 80, name: http}]}]
        ---
        ---

        """;

    /// <summary>Anchors, aliases and a merge key, as people share container defaults.</summary>
    public const string Anchors = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: twins
          labels: &labels
            app: twins
        spec:
          restartPolicy: Never
          containers:
          - &base
            name: left
            image: busybox:1.36
            command: [sleep, "3600"]
            env: &env
            - {name: MODE, value: twin}
          - <<: *base
            name: right
            env: *env

        """;

    /// <summary>The seed Deployment as JSON (kubectl accepts JSON manifests).</summary>
    public const string JsonDeployment = """
        {
          "apiVersion": "apps/v1",
          "kind": "Deployment",
          "metadata": {"name": "myapp", "labels": {"app": "myapp"}},
          "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "myapp"}},
            "template": {
              "metadata": {"labels": {"app": "myapp"}},
              "spec": {"containers": [{"name": "myapp", "image": "myapp:1.0", "ports": [{"containerPort": 5000}]}]}
            }
          }
        }
        """;

    /// <summary>A v1 List, as <c>kubectl get -o yaml</c> writes several objects.</summary>
    public const string List = """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Pod
          metadata: {name: one}
          spec: {containers: [{name: c, image: busybox}]}
        - apiVersion: v1
          kind: Pod
          metadata: {name: two}
          spec: {containers: [{name: c, image: busybox}]}

        """;
}
