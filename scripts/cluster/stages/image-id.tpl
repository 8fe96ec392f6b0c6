{{/* The container's imageID, as a kubelet reports it after pulling: the image's repository in
     its canonical form (docker.io/library/nginx for "nginx") and "@" the digest. An image given
     by digest keeps it; otherwise the digest is the sha256 of "<canonical repository>:<tag>"
     (tag "latest" when none), so every cluster reports the same digest for the same image.
     scripts/cluster/up.sh puts this where a stage says "# include: image-id.tpl". */}}
{{ $ref := .image }}
{{ $name := first (splitList "@" $ref) }}
{{ $digest := "" }}
{{ if contains "@" $ref }}{{ $digest = last (splitList "@" $ref) }}{{ end }}
{{ $repo := $name }}
{{ $tag := "latest" }}
{{ if regexMatch ":[^:/]+$" $name }}{{ $tag = regexFind "[^:]+$" $name }}{{ $repo = regexReplaceAll ":[^:/]+$" $name "" }}{{ end }}
{{ if not (contains "/" $repo) }}{{ $repo = printf "docker.io/library/%s" $repo }}{{ else if not (regexMatch "^(localhost|[^/]*[.:][^/]*)/" $repo) }}{{ $repo = printf "docker.io/%s" $repo }}{{ end }}
{{ $repo = regexReplaceAll "^index\\.docker\\.io/" $repo "docker.io/" }}
{{ if regexMatch "^docker\\.io/[^/]+$" $repo }}{{ $repo = regexReplaceAll "^docker\\.io/" $repo "docker.io/library/" }}{{ end }}
{{ if eq $digest "" }}{{ $digest = printf "sha256:%s" (sha256sum (printf "%s:%s" $repo $tag)) }}{{ end }}
imageID: {{ printf "%s@%s" $repo $digest | Quote }}
