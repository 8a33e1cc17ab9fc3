// Command lambdaruntime is bench/lambda.sh's function: the smallest custom
// Lambda runtime, standard library only. It asks the Runtime API
// ($AWS_LAMBDA_RUNTIME_API) for the next invocation and answers each with
// {"secret":true} or {"secret":false}, whether S1_K1 (a key of the
// responder's secret small-1) is in its environment, so that the benchmark
// can tell that secretenv's variables reached the runtime.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	_, secret := os.LookupEnv("S1_K1")
	body := fmt.Sprintf(`{"secret":%t}`, secret)
	for {
		resp, err := http.Get(api + "next")
		if err != nil {
			fmt.Fprintln(os.Stderr, "lambdaruntime:", err)
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		r, err := http.Post(api+id+"/response", "application/json", strings.NewReader(body))
		if err != nil {
			fmt.Fprintln(os.Stderr, "lambdaruntime:", err)
			os.Exit(1)
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
}
