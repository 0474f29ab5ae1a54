#include "worker/worker.h"

int main(int argc, char** argv)
{
    return cs::runWorker(argc, argv);
}
